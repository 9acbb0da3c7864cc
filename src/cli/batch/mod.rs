//! Folder trees: walk (ignore files, globs, hidden files, no symlinks), process files in
//! parallel, mirror into `--out-dir` or rewrite `--in-place` atomically, report and summarise.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Result};

use crate::jsonl::{run_jsonl_events, JsonlEvent, JsonlOptions};
use crate::{ErrorKind, PipelineBuilder, Report};

use super::args::Args;
use super::exit::Exit;
use super::temps;

mod prepass;
mod schedule;
mod walk;
mod write;

use prepass::*;
use schedule::*;
use walk::*;
use write::*;

/// One file to process. The job list grows with the tree, so a job is small: its path (one
/// allocation of the path's length) and 40 bytes.
struct Job {
    src: Box<Path>,
    /// The length of the path relative to the input it was found under (for `--out-dir`):
    /// the end of `src`.
    rel_len: u32,
    bytes: u64,
    /// The source's permissions as the walk saw them (the output gets them).
    perms: Option<fs::Permissions>,
}

impl Job {
    /// A job for `src`, found as `rel` under its input (`rel` ends `src`, as
    /// `Path::strip_prefix` and `Path::file_name` cut it).
    fn new(src: &Path, rel: &Path, meta: Option<&fs::Metadata>) -> Job {
        let (s, r) = (src.as_os_str().len(), rel.as_os_str().len());
        debug_assert!(src
            .as_os_str()
            .as_encoded_bytes()
            .ends_with(rel.as_os_str().as_encoded_bytes()));
        Job {
            src: src.into(),
            rel_len: r.min(s) as u32,
            bytes: meta.map_or(0, |m| m.len()),
            perms: meta.map(|m| m.permissions()),
        }
    }

    /// The path relative to the input it was found under.
    fn rel(&self) -> &Path {
        let bytes = self.src.as_os_str().as_encoded_bytes();
        let rel = &bytes[bytes.len() - self.rel_len as usize..];
        // SAFETY: the bytes come from `as_encoded_bytes`, cut where a path component starts
        // (after a separator, an ASCII character) or at the start.
        Path::new(unsafe { std::ffi::OsStr::from_encoded_bytes_unchecked(rel) })
    }
}

/// How one file ended.
enum Outcome {
    /// Converted: the reports (one per JSON Lines record only with `--report` or `--check`),
    /// and each stage's changes.
    Done(Vec<Report>, Vec<(String, u64)>),
    /// Skipped, with why (binary, a symlink, ...).
    Skipped(String),
    Failed(String),
}

/// A converted file's reports and each stage's changes (see [`Outcome::Done`]).
type Done = (Vec<Report>, Vec<(String, u64)>);

/// Whether the arguments ask for folder mode.
pub fn wanted(args: &Args) -> bool {
    args.out_dir.is_some() || args.in_place || args.files.iter().any(|f| f.is_dir())
}

/// Processes one file (its bytes when the repeated-lines pass kept them) into a temporary file
/// beside its destination, then renames it into place.
#[allow(clippy::too_many_arguments)]
fn process(
    builder: &PipelineBuilder,
    structured: &PipelineBuilder,
    args: &Args,
    job: &Job,
    cached: Option<(Vec<u8>, Option<Stamp>)>,
    progress: Option<&indicatif::ProgressBar>,
    jsonl: &JsonlOptions,
    repeated: Option<Arc<HashSet<u64>>>,
    folders: &OutputFolders,
) -> Outcome {
    let kind = file_kind(args, &job.src);
    if kind == FileKind::Structured && args.structured == "skip" {
        return Outcome::Skipped("structured text (--structured skip)".into());
    }
    let dest = destination(args, job);
    let result = (|| -> crate::Result<Option<Done>> {
        let name = job.src.display().to_string();
        let (input, seen): (Box<dyn Read + '_>, Option<Stamp>) = match &cached {
            Some((bytes, seen)) => (Box::new(bytes.as_slice()), *seen),
            None => {
                let f = File::open(&job.src).map_err(|e| io_err("cannot open", e))?;
                let seen = if args.in_place { stamp(&f) } else { None };
                (Box::new(f), seen)
            }
        };
        // The progress bar moves as the input is read, also inside one large file.
        let mut input: Box<dyn Read + '_> = match progress {
            Some(p) => Box::new(p.wrap_read(input)),
            None => input,
        };
        // A bare file name's folder is the current one.
        let dir = dest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // The temporary file comes first: the output writes to it through a reference (a
        // duplicate descriptor costs two system calls per file).
        let tmp = if args.check {
            None
        } else {
            let fresh = folders
                .make(dir)
                .map_err(|e| io_err("creating the output folder", e))?;
            let (t, exact) = folders
                .temp_file(dir, job.perms.as_ref())
                .map_err(|e| io_err("creating a temporary file", e))?;
            Some(Temp::new(t, fresh, exact))
        };
        let done = if kind == FileKind::Jsonl {
            let out: Box<dyn Write + '_> = match &tmp {
                None => Box::new(io::sink()),
                Some(t) => Box::new(BufWriter::with_capacity(64 * 1024, t.file())),
            };
            let mut reports = Vec::new();
            let reader: Box<dyn Read> = match compression(&job.src) {
                Some("gz") => Box::new(flate2::read::MultiGzDecoder::new(input)),
                Some("zst") => Box::new(
                    zstd::stream::read::Decoder::new(input).map_err(|e| io_err("zstd", e))?,
                ),
                _ => input,
            };
            let writer: Box<dyn Write + '_> = match compression(&job.src) {
                Some("gz") => Box::new(flate2::write::GzEncoder::new(
                    out,
                    flate2::Compression::default(),
                )),
                Some("zst") => Box::new(
                    zstd::stream::write::Encoder::new(out, 3)
                        .map_err(|e| io_err("zstd", e))?
                        .auto_finish(),
                ),
                _ => out,
            };
            let want = args.report.is_some() || args.check;
            let input = BufReader::new(reader);
            let summary = run_jsonl_events(builder, &name, input, writer, jsonl, want, |e| {
                match e {
                    JsonlEvent::Record(r) => reports.push(r),
                    bad => super::warn(format_args!("{name}:{bad}")),
                }
                Ok(())
            })?;
            let changes = summary.changes.iter();
            (reports, changes.map(|&(s, n)| (s.to_string(), n)).collect())
        } else {
            let mut p = if kind == FileKind::Structured && args.structured == "convert" {
                structured.build()?
            } else {
                builder.build_with_repeated(repeated)?
            };
            p.set_name(name);
            // Straight into the file: the pipeline writes once per read of the input (a
            // buffer would only copy, and one per file costs more than a small file).
            // Reports only when they are written or checked (building them costs as much as
            // converting a small file does).
            let (mut sink, mut file) = (io::sink(), tmp.as_ref().map(|t| t.file()));
            let out: &mut dyn Write = match file.as_mut() {
                Some(f) => f,
                None => &mut sink,
            };
            if args.report.is_some() || args.check {
                let r = p.run(&mut input, out)?;
                let changes = r.stages.iter().map(|s| (s.stage.clone(), s.changes));
                let changes = changes.collect();
                (vec![r], changes)
            } else {
                let changes = p.run_quiet(&mut input, out)?;
                let changes = changes.into_iter().map(|(s, n)| (s.to_string(), n));
                (Vec::new(), changes.collect())
            }
        };
        if let Some(t) = tmp {
            let expect = if args.in_place { seen } else { None };
            finish_atomic(t, job, &dest, args.backup.as_deref(), expect)?;
        }
        Ok(Some(done))
    })();
    match result {
        Ok(Some((r, changes))) => Outcome::Done(r, changes),
        Ok(None) => Outcome::Skipped("nothing to do".into()),
        Err(e) if *e.kind() == ErrorKind::Binary => Outcome::Skipped(format!("binary file: {e}")),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

/// Runs folder mode; returns the exit code.
pub fn run(
    builder: &PipelineBuilder,
    args: &Args,
    threads: usize,
    jsonl: &JsonlOptions,
) -> Result<Exit> {
    if args.in_place && args.out_dir.is_some() {
        bail!("--in-place and --out-dir exclude each other");
    }
    if !args.in_place && args.out_dir.is_none() && !args.check {
        bail!("a folder needs --out-dir DIR, --in-place or --check");
    }
    check_out_dir(args)?;
    // Structured files (`--structured convert`): the convert stage only.
    let structured = builder.clone().convert_only();
    // Before any thread starts (it reads the umask by setting it).
    let folders = OutputFolders::new();
    if !args.check {
        temps::install_signal_cleanup();
    }
    let (jobs, unwalked) = collect(args, threads)?;
    // Fewer files than threads (a few large JSON Lines shards): each file's records share the
    // threads the files leave idle.
    let jsonl = &JsonlOptions {
        threads: (threads / jobs.len().max(1)).max(1),
        ..jsonl.clone()
    };
    let kept = Kept::default();
    let repeated = repeated_lines(builder, args, &jobs, &kept, threads);
    let total_bytes: u64 = jobs.iter().map(|j| j.bytes).sum();
    let progress = progress_bar(jobs.len() as u64, total_bytes);
    let files_done = AtomicU64::new(0);
    for (path, why) in &unwalked.skipped {
        super::warn(format_args!("{}: skipped: {why}", super::shown(path)));
    }
    for (path, why) in &unwalked.failed {
        super::warn(format_args!("{}: {why}", super::shown(path)));
    }
    // Reports, check lines and notes come out in input order whatever the threads do: each
    // outcome waits only until those before it are out, so memory does not grow with the tree.
    let emitter = Mutex::new(Emitter {
        order: Default::default(),
        report_sink: super::report_sink(args)?,
        out: BufWriter::new(super::Forgiving::new(io::stdout())),
        ok: 0,
        skipped: unwalked.skipped.len() as u64,
        failed: unwalked.failed.len() as u64,
        changed: false,
        fixes: BTreeMap::new(),
        error: None,
    });
    let claims = Claims {
        jobs: &jobs,
        next: Mutex::new(0),
        threads: threads.max(1),
    };
    std::thread::scope(|s| {
        for _ in 0..threads.max(1).min(jobs.len().max(1)) {
            s.spawn(|| {
                while let Some(run) = claims.claim() {
                    for i in run {
                        let job = &jobs[i];
                        let outcome = process(
                            builder,
                            &structured,
                            args,
                            job,
                            kept.take(i),
                            progress.as_ref(),
                            jsonl,
                            repeated.get(folder(job)).cloned(),
                            &folders,
                        );
                        let n = files_done.fetch_add(1, Ordering::Relaxed) + 1;
                        if let Some(p) = &progress {
                            p.set_message(format!(
                                "{n}/{} {}",
                                jobs.len(),
                                plural(jobs.len() as u64, "file")
                            ));
                        }
                        emitter.lock().unwrap().arrive(i, outcome, &jobs, args);
                    }
                }
            });
        }
    });
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    let mut e = emitter.into_inner().unwrap();
    if let Some(err) = e.error.take() {
        return Err(err);
    }
    e.out.flush()?;
    if let Some(w) = e.report_sink.as_mut() {
        w.flush()?;
    }
    let (ok, skipped, failed, changed, fixes) = (e.ok, e.skipped, e.failed, e.changed, e.fixes);
    let changes: Vec<String> = fixes.iter().map(|(k, v)| format!("{k} {v}")).collect();
    super::warn(format_args!(
        "{ok} {} {}, {skipped} skipped, {failed} failed, {} read; changes: {}",
        plural(ok, "file"),
        if args.check { "checked" } else { "written" },
        size(total_bytes),
        if changes.is_empty() {
            "none".to_string()
        } else {
            changes.join(", ")
        }
    ));
    Ok(Exit::of_run(args.check, failed > 0, changed))
}

/// `word` for one, `words` for any other count.
fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// A size in the unit that suits it: `512 bytes`, `3.4 KB`, `12.0 MB`, `1.2 GB`.
fn size(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes < 1000 {
        format!("{bytes} {}", plural(bytes, "byte"))
    } else if b < 1e6 {
        format!("{:.1} KB", b / 1e3)
    } else if b < 1e9 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.2} GB", b / 1e9)
    }
}

/// A progress bar over the bytes of the run (on a terminal, for more than one file or a large
/// one): it moves while a large file is read, and its rate and time left are in bytes.
fn progress_bar(files: u64, bytes: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !io::stderr().is_terminal() || (files < 2 && bytes < 8 << 20) {
        return None;
    }
    let p = indicatif::ProgressBar::new(bytes);
    p.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {decimal_bytes}/{decimal_total_bytes}, {msg} [{elapsed} elapsed, {eta} left] {decimal_bytes_per_sec}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    p.set_message(format!("0/{files} {}", plural(files, "file")));
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::{path_order, plural, read_whole, size, Claims, Job, OutputFolders};
    use std::path::Path;
    use std::sync::Mutex;

    #[test]
    fn claims_hand_out_every_job_once_in_bounded_runs() {
        let sizes: Vec<u64> = (0..1000u64)
            .map(|i| (i * 7919) % 5000 + (i % 97) * 40_000)
            .collect();
        let jobs: Vec<Job> = sizes
            .iter()
            .map(|&bytes| Job {
                src: Path::new("").into(),
                rel_len: 0,
                bytes,
                perms: None,
            })
            .collect();
        for threads in [1, 2, 8] {
            let claims = Claims {
                jobs: &jobs,
                next: Mutex::new(0),
                threads,
            };
            let mut next = 0;
            while let Some(run) = claims.claim() {
                assert_eq!(run.start, next);
                assert!(run.end > run.start && run.len() <= Claims::MAX_RUN);
                let bytes: u64 = sizes[run.clone()].iter().sum();
                assert!(run.len() == 1 || bytes <= Claims::MAX_RUN_BYTES, "{run:?}");
                // Runs shrink towards the end: never more than a quarter of the rest per thread.
                assert!(run.len() <= ((jobs.len() - run.start) / (4 * threads)).max(1));
                next = run.end;
            }
            assert_eq!(next, jobs.len());
        }
    }

    #[test]
    fn a_job_is_its_path_and_forty_bytes() {
        assert!(std::mem::size_of::<Job>() <= 40);
        let meta = std::fs::metadata(env!("CARGO_MANIFEST_DIR")).ok();
        for (src, rel) in [
            ("in/a/b.txt", "a/b.txt"),
            ("b.txt", "b.txt"),
            ("./in/b.txt", "b.txt"),
            ("/abs/in/c/文件.txt", "c/文件.txt"),
        ] {
            let job = Job::new(Path::new(src), Path::new(rel), meta.as_ref());
            assert_eq!(&*job.src, Path::new(src));
            assert_eq!(job.rel(), Path::new(rel));
        }
    }

    #[test]
    fn paths_sort_as_path_cmp_does() {
        let paths = [
            "a/b", "a.b", "a", "ab/c", "a/b/c", "a/b.c", "a-b/c", "b", "a/ba", "a/b/d",
        ];
        for x in paths {
            for y in paths {
                let (x, y) = (Path::new(x), Path::new(y));
                assert_eq!(path_order(x, y), x.cmp(y), "{x:?} {y:?}");
            }
        }
    }

    #[test]
    fn only_folders_this_run_made_are_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("old");
        std::fs::create_dir(&existing).unwrap();
        let folders = OutputFolders::new();
        assert!(!folders.make(&existing).unwrap());
        let deep = dir.path().join("new/a/b");
        assert!(folders.make(&deep).unwrap());
        // Asked again, it is still the folder this run made.
        assert!(folders.make(&deep).unwrap());
        // Made on the way to `deep`, but not by the call that asks: not known fresh, which
        // costs a look-up and nothing else.
        assert!(!folders.make(&dir.path().join("new/a")).unwrap());
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        assert!(folders.make(&file.join("sub")).is_err());
    }

    #[test]
    fn sizes_and_counts_read_as_english() {
        assert_eq!(plural(1, "file"), "file");
        assert_eq!(plural(0, "file"), "files");
        assert_eq!(size(1), "1 byte");
        assert_eq!(size(999), "999 bytes");
        assert_eq!(size(1_500), "1.5 KB");
        assert_eq!(size(12_000_000), "12.0 MB");
        assert_eq!(size(3_210_000_000), "3.21 GB");
    }

    #[test]
    fn a_file_changed_during_the_run_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "old content\n").unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        let job = Job::new(&path, Path::new("a.txt"), Some(&meta));
        let folders = OutputFolders::new();
        let stamp = |m: &std::fs::Metadata| (m.len(), m.modified().ok());
        let read_at = stamp(&meta);
        // Edited (appended to) after it was read.
        std::fs::write(&path, "old content\nand a new line\n").unwrap();
        let (t, exact) = folders.temp_file(dir.path(), None).unwrap();
        std::io::Write::write_all(&mut t.as_file(), b"converted\n").unwrap();
        let tmp = super::Temp::new(t, false, exact);
        let err = super::finish_atomic(tmp, &job, &path, None, Some(read_at)).unwrap_err();
        assert!(err.to_string().contains("changed during the run"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "old content\nand a new line\n"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
        // Unchanged since it was read: replaced.
        let now = stamp(&std::fs::metadata(&path).unwrap());
        let (t, exact) = folders.temp_file(dir.path(), None).unwrap();
        std::io::Write::write_all(&mut t.as_file(), b"converted\n").unwrap();
        let tmp = super::Temp::new(t, false, exact);
        super::finish_atomic(tmp, &job, &path, None, Some(now)).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "converted\n");
    }

    #[test]
    fn whole_files_are_read_whatever_the_size_the_walk_saw() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        for seen in [0, 1, 99_999, 100_000, 100_001, 300_000] {
            let mut f = std::fs::File::open(&path).unwrap();
            assert_eq!(read_whole(&mut f, seen).unwrap(), data, "{seen}");
        }
    }
}
