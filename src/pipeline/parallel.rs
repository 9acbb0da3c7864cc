//! One large document on several cores (`-j`), with output identical to a serial run.
//!
//! Only pipelines whose stages are all line-local ([`crate::Stage::line_local`]) can be split:
//! the decoded text is cut into blocks at newlines, each block goes through its own copy of the
//! stages on a worker thread, and a writer thread encodes the results in order. The first block
//! runs on the document's own pipeline, so that a detected source script is chosen from the same
//! text as in a serial run; the other blocks use that choice. A document that fits in one block,
//! whose first block has no newline, or whose stages are not line-local, runs serially.
//!
//! Memory: at most `2 * threads` blocks are queued. A block grows past its nominal size only to
//! reach the next newline, so a line longer than the block size is held whole in this mode.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::encode::Encoder;
use crate::error::{Error, ErrorKind, Result};
use crate::ordered::InOrder;
use crate::pipeline::PipelineBuilder;
use crate::report::{Report, StageReport};

/// Nominal size of a block of decoded text.
const BLOCK: usize = 4 << 20;
/// Bytes read at a time.
const READ: usize = 1 << 20;

type Done = (usize, Result<(String, Vec<StageReport>)>);

/// Runs one document from `input` to `output` on `threads` threads (serially when `threads`
/// is 1 or the document cannot be split). The report is the same as a serial run's.
pub fn run_parallel<R: Read, W: Write + Send>(
    builder: &PipelineBuilder,
    name: Option<&str>,
    mut input: R,
    mut output: W,
    threads: usize,
) -> Result<Report> {
    let mut first = builder.build()?;
    if let Some(n) = name {
        first.set_name(n);
    }
    if threads <= 1 || !first.line_local() {
        return first.run(input, output);
    }
    let mut buf = vec![0u8; READ];
    let mut bytes_in = 0u64;
    let mut text = String::new();
    let mut eof;
    // The first block: decoded until it holds a newline past the nominal size (or the end).
    let cut = loop {
        let n = read(&mut input, &mut buf)?;
        bytes_in += n as u64;
        eof = n == 0;
        first.decode(&buf[..n], &mut text, eof)?;
        if eof {
            break 0;
        }
        if text.len() >= BLOCK {
            if let Some(i) = text.rfind('\n') {
                break i + 1;
            }
        }
    };
    let mut out = String::new();
    if cut == 0 {
        // All in memory already, or no newline to cut at: finish serially.
        first.push_text(&text, &mut out, eof)?;
        first.write(&out, &mut output, eof)?;
        while !eof {
            let n = read(&mut input, &mut buf)?;
            bytes_in += n as u64;
            eof = n == 0;
            out.clear();
            first.push_bytes(&buf[..n], &mut out, eof)?;
            first.write(&out, &mut output, eof)?;
        }
        output.flush().map_err(Error::write)?;
        return Ok(first.finish(bytes_in));
    }
    // The first block is whole lines: finishing line-local stages on it is exact, and fixes
    // their choices (such as a detected source) for the other blocks.
    let first_lines = memchr::memchr_iter(b'\n', &text.as_bytes()[..cut]).count() as u64;
    first.push_text(&text[..cut], &mut out, true)?;
    first.write(&out, &mut output, false)?;
    let templates: Option<Vec<_>> = (0..threads).map(|_| first.fork()).collect();
    let Some(templates) = templates else {
        return Err(Error::new(ErrorKind::Bug, "stages could not be forked"));
    };
    let mut rest = text.split_off(cut);
    drop(text);
    let mut encoder = first.take_encoder();

    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, u64, String)>(threads * 2);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    let (reports, written) = std::thread::scope(|s| -> Result<(Vec<Vec<StageReport>>, u64)> {
        for template in templates {
            let job_rx = Arc::clone(&job_rx);
            let done_tx = done_tx.clone();
            s.spawn(move || loop {
                let job = job_rx.lock().unwrap().recv();
                let Ok((seq, line, block)) = job else { break };
                let mut fork = template.fork().expect("forks of forks");
                fork.start_line(line);
                let r = fork.run_str(&block).map(|(o, rep)| (o, rep.stages));
                if done_tx.send((seq, r)).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);
        let encoder = &mut encoder;
        let output = &mut output;
        let writer = s.spawn(move || write_in_order(done_rx, encoder, output));

        let mut seq = 0usize;
        let mut line = 1 + first_lines;
        let mut send = |block: String| -> bool {
            let lines = memchr::memchr_iter(b'\n', block.as_bytes()).count() as u64;
            let ok = job_tx.send((seq, line, block)).is_ok();
            seq += 1;
            line += lines;
            ok
        };
        let mut failed = None;
        while !eof {
            let n = match read(&mut input, &mut buf) {
                Ok(n) => n,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            };
            bytes_in += n as u64;
            eof = n == 0;
            if let Err(e) = first.decode(&buf[..n], &mut rest, eof) {
                failed = Some(e);
                break;
            }
            if eof {
                if !rest.is_empty() && !send(std::mem::take(&mut rest)) {
                    break;
                }
            } else if rest.len() >= BLOCK {
                if let Some(i) = rest.rfind('\n') {
                    let tail = rest.split_off(i + 1);
                    if !send(std::mem::replace(&mut rest, tail)) {
                        break;
                    }
                }
            }
        }
        drop(job_tx);
        let written = writer.join().expect("writer thread");
        if let Some(e) = failed {
            return Err(e);
        }
        written
    })?;
    encoder.write("", &mut output, true)?;
    output.flush().map_err(Error::write)?;
    first.put_encoder(encoder);
    first.add_bytes_out(written);
    let stages = first.merged_stage_reports(reports);
    Ok(first.finish_with(bytes_in, stages))
}

/// Encodes and writes finished blocks in sequence order; returns the blocks' stage reports and
/// the bytes written.
fn write_in_order<W: Write>(
    done: mpsc::Receiver<Done>,
    encoder: &mut Encoder,
    output: &mut W,
) -> Result<(Vec<Vec<StageReport>>, u64)> {
    let mut order = InOrder::new();
    let mut reports = Vec::new();
    let mut written = 0u64;
    for (seq, r) in done {
        order.arrive(seq, r?, |_, (text, rep)| {
            written += encoder.write(&text, output, false)?;
            reports.push(rep);
            Ok::<(), Error>(())
        })?;
    }
    if order.waiting() > 0 {
        return Err(Error::new(
            ErrorKind::Bug,
            "a block of the document was lost",
        ));
    }
    Ok((reports, written))
}

fn read<R: Read>(input: &mut R, buf: &mut [u8]) -> Result<usize> {
    loop {
        match input.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("reading input", e)),
        }
    }
}
