//! Folder trees: walk (ignore files, globs, hidden files, no symlinks), process files in
//! parallel, mirror into `--out-dir` or rewrite `--in-place` atomically, report and summarise.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};

use zhtidy::boilerplate::repeated::RepeatedLines;
use zhtidy::jsonl::{run_jsonl, JsonlOptions};
use zhtidy::{ErrorKind, PipelineBuilder, Report};

use super::args::Args;

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

/// The bytes the repeated-lines pass read of the files it read whole, kept for the main pass
/// (which takes them), by job: each small file is read once.
#[derive(Default)]
struct Kept(Mutex<HashMap<usize, Vec<u8>>>);

impl Kept {
    fn keep(&self, job: usize, bytes: Vec<u8>) {
        self.0.lock().unwrap().insert(job, bytes);
    }

    fn take(&self, job: usize) -> Option<Vec<u8>> {
        self.0.lock().unwrap().remove(&job)
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

/// The path a walk error is about, and the error without it.
fn split_walk_error(e: &ignore::Error) -> (Option<&Path>, String) {
    match e {
        ignore::Error::WithPath { path, err } => {
            let why = split_walk_error(err).1;
            // The walker's IO errors repeat the path ("IO error for operation on PATH: ...").
            let prefix = format!("{}: ", path.display());
            let why = match why.find(&prefix) {
                Some(i) => why[i + prefix.len()..].to_string(),
                None => why,
            };
            (Some(path), why)
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            split_walk_error(err)
        }
        other => (None, other.to_string()),
    }
}

/// What the walk could not take: skipped on purpose (a symbolic link), or failed (a folder that
/// cannot be read), with why.
#[derive(Default)]
struct Unwalked {
    skipped: Vec<(PathBuf, String)>,
    failed: Vec<(PathBuf, String)>,
}

/// The order of paths component by component (as `Path::cmp`, which is several times slower: it
/// parses the components of both paths at each comparison): bytes, with the separator first.
/// The walk's paths have no empty or `.` components.
fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    let (a, b) = (
        a.as_os_str().as_encoded_bytes(),
        b.as_os_str().as_encoded_bytes(),
    );
    let sep = |c: &u8| {
        if *c == std::path::MAIN_SEPARATOR as u8 {
            0
        } else {
            *c
        }
    };
    a.iter().map(sep).cmp(b.iter().map(sep))
}

/// Takes one entry of the walk under `input` into `jobs` or `unwalked` (folders and whatever
/// else is not a file are left out).
fn walked(
    entry: std::result::Result<ignore::DirEntry, ignore::Error>,
    input: &Path,
    found: &Mutex<(Vec<Job>, Unwalked)>,
) {
    let entry = match entry {
        Ok(e) => e,
        Err(e) => {
            // An unreadable folder is data the user asked for and did not get.
            let (path, why) = split_walk_error(&e);
            let path = path.unwrap_or(input).to_path_buf();
            let failed = (path, format!("cannot read: {why}"));
            found.lock().unwrap().1.failed.push(failed);
            return;
        }
    };
    let Some(ft) = entry.file_type() else { return };
    if ft.is_symlink() {
        let skipped = (
            entry.path().to_path_buf(),
            "symbolic link (not followed)".into(),
        );
        found.lock().unwrap().1.skipped.push(skipped);
        return;
    }
    if !ft.is_file() {
        return;
    }
    let rel = entry.path().strip_prefix(input).unwrap_or(entry.path());
    let job = Job::new(entry.path(), rel, entry.metadata().ok().as_ref());
    found.lock().unwrap().0.push(job);
}

/// Collects the files under `inputs`, with what the walk skipped or could not read.
fn collect(args: &Args, threads: usize) -> Result<(Vec<Job>, Unwalked)> {
    let mut jobs = Vec::new();
    let mut unwalked = Unwalked::default();
    for input in &args.files {
        if input == Path::new("-") {
            bail!("standard input cannot be combined with --out-dir or --in-place");
        }
        let meta = fs::symlink_metadata(input).with_context(|| format!("{}", input.display()))?;
        if meta.is_file() {
            let rel = Path::new(input.file_name().context("input has no file name")?);
            jobs.push(Job::new(input, rel, Some(&meta)));
            continue;
        }
        if !meta.is_dir() {
            unwalked
                .skipped
                .push((input.clone(), "not a regular file or folder".into()));
            continue;
        }
        let mut overrides = OverrideBuilder::new(input);
        for g in &args.globs {
            overrides.add(g).with_context(|| format!("glob {g:?}"))?;
        }
        // The walk runs on `threads` threads (most of its time is the kernel's, a `stat` per
        // file, and it runs before any file is converted); its order is then made the order of
        // the paths, which a serial walk would not promise either.
        let found = Mutex::new((Vec::new(), Unwalked::default()));
        WalkBuilder::new(input)
            .hidden(!args.hidden)
            .ignore(!args.no_ignore)
            .git_ignore(!args.no_ignore)
            .git_global(!args.no_ignore)
            .git_exclude(!args.no_ignore)
            .parents(!args.no_ignore)
            .require_git(false)
            .follow_links(false)
            .overrides(overrides.build()?)
            .threads(threads.max(1))
            .build_parallel()
            .run(|| {
                Box::new(|entry| {
                    walked(entry, input, &found);
                    WalkState::Continue
                })
            });
        let (mut files, mut other) = found.into_inner().unwrap();
        files.sort_unstable_by(|a, b| path_order(&a.src, &b.src));
        other
            .skipped
            .sort_unstable_by(|a, b| path_order(&a.0, &b.0));
        other.failed.sort_unstable_by(|a, b| path_order(&a.0, &b.0));
        if jobs.is_empty() {
            jobs = files;
        } else {
            jobs.append(&mut files);
        }
        unwalked.skipped.append(&mut other.skipped);
        unwalked.failed.append(&mut other.failed);
    }
    Ok((jobs, unwalked))
}

fn is_jsonl(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    name.ends_with(".jsonl") || name.ends_with(".jsonl.gz") || name.ends_with(".jsonl.zst")
}

fn compression(path: &Path) -> Option<&'static str> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("gz") => Some("gz"),
        Some("zst") => Some("zst"),
        _ => None,
    }
}

/// Where the output of `job` goes.
fn destination(args: &Args, job: &Job) -> PathBuf {
    match &args.out_dir {
        Some(dir) => {
            let mut p = dir.join(job.rel());
            if let Some(ext) = &args.ext {
                p.set_extension(ext.trim_start_matches('.'));
            }
            p
        }
        None => job.src.to_path_buf(),
    }
}

/// Files of at most this many bytes are kept in memory by the repeated-lines pass for the main
/// pass, while all kept files add up to at most `CACHE_BUDGET` (the main pass frees each as it
/// goes): the small files of a tree are read once, larger ones are streamed twice.
const CACHE_FILE_MAX: u64 = 256 * 1024;
const CACHE_BUDGET: u64 = 32 << 20;
/// What keeping a file costs beyond its bytes (its entry in `Kept`, the allocation's rounding),
/// charged to the budget too: a tree of millions of empty files keeps at most half a million.
const KEPT_ENTRY: u64 = 64;

/// Reads all of `file`, expected to hold `size` bytes (`File::read_to_end` asks the file's size
/// and position first: two more system calls per file).
fn read_whole(file: &mut File, size: u64) -> io::Result<Vec<u8>> {
    // One byte more than expected, so that the read that finds the end needs no larger buffer.
    let mut bytes = vec![0u8; size as usize + 1];
    let mut filled = 0;
    loop {
        if filled == bytes.len() {
            bytes.resize(2 * bytes.len(), 0);
        }
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

/// The folder a job's file is in.
fn folder(job: &Job) -> &Path {
    job.src.parent().unwrap_or(Path::new(""))
}

/// Lines repeated across the documents of each folder (`--repeated-lines`): one pass over the
/// files (decoding and HTML only), in parallel. Small files are kept for the main pass (see
/// `CACHE_FILE_MAX`). Unreadable files are left to the main pass to report.
///
/// A folder's counts are reduced to its repeated lines as soon as its last file is counted: the
/// files are taken in path order, so only the folders around the current path (the folder and
/// those above it, whose files sort around its subfolders) hold counts at a time, and memory
/// does not grow with the tree. Folders with fewer files than `--repeated-lines` cannot repeat a
/// line that often and are not read.
fn repeated_lines(
    builder: &PipelineBuilder,
    args: &Args,
    jobs: &[Job],
    kept: &Kept,
    threads: usize,
) -> HashMap<PathBuf, Arc<HashSet<u64>>> {
    if args.repeated_lines == 0 || !builder.has_boilerplate() || jobs.len() < 2 {
        return HashMap::new();
    }
    // Per folder: the files not counted yet, and the counts so far.
    let mut open: HashMap<PathBuf, (usize, RepeatedLines)> = HashMap::new();
    for job in jobs {
        match open.get_mut(folder(job)) {
            Some((files, _)) => *files += 1,
            None => {
                open.insert(folder(job).to_path_buf(), (1, RepeatedLines::new()));
            }
        }
    }
    open.retain(|_, (files, _)| *files >= args.repeated_lines.max(2));
    let open = Mutex::new(open);
    let out = Mutex::new(HashMap::new());
    let next = AtomicUsize::new(0);
    let budget = AtomicU64::new(CACHE_BUDGET);
    // Takes `n` bytes of the budget, if there are that many left.
    let take = |n: u64| {
        budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(n)
            })
            .is_ok()
    };
    // The line keys of one file, `None` when it is not counted (JSON Lines, unreadable).
    let keys_of = |i: usize, job: &Job| -> Option<HashSet<u64>> {
        if args.jsonl && is_jsonl(&job.src) {
            return None;
        }
        let mut file = File::open(&job.src).ok()?;
        let keys = if job.bytes <= CACHE_FILE_MAX && take(job.bytes + KEPT_ENTRY) {
            let bytes = read_whole(&mut file, job.bytes).ok()?;
            let keys = builder.line_keys(bytes.as_slice());
            // A file that grew since the walk counts its real size against the budget, or is
            // read again by the main pass.
            let grown = bytes.len() as u64 - job.bytes.min(bytes.len() as u64);
            if grown == 0 || take(grown) {
                kept.keep(i, bytes);
            }
            keys
        } else {
            builder.line_keys(file)
        };
        keys.ok()
    };
    std::thread::scope(|s| {
        for _ in 0..threads.max(1).min(jobs.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let dir = folder(job);
                if !open.lock().unwrap().contains_key(dir) {
                    continue;
                }
                let keys = keys_of(i, job);
                let done = {
                    let mut open = open.lock().unwrap();
                    let (files, counts) = open.get_mut(dir).expect("counted folders stay open");
                    if let Some(keys) = &keys {
                        counts.add_keys(keys);
                    }
                    *files -= 1;
                    if *files == 0 {
                        open.remove(dir).map(|(_, counts)| counts)
                    } else {
                        None
                    }
                };
                if let Some(counts) = done {
                    let set = counts.repeated(args.repeated_lines);
                    if !set.is_empty() {
                        out.lock().unwrap().insert(dir.to_path_buf(), Arc::new(set));
                    }
                }
            });
        }
    });
    out.into_inner().unwrap()
}

/// What folder mode knows of the output folders and of the process, shared by the threads.
struct OutputFolders {
    /// Folders made or found so far, and whether this run made them: a folder this run made
    /// holds no file it did not write, so its destinations need no look-up.
    made: Mutex<HashMap<PathBuf, bool>>,
    /// The working folder, asked once (when it cannot be, each temporary file asks again, and
    /// fails as it would): from a relative folder, the temporary file asks for it each time.
    cwd: PathBuf,
    /// The process's umask: a temporary file created with the source's mode has that mode
    /// unless the umask takes bits away, and then needs no `fchmod`.
    #[cfg(unix)]
    umask: u32,
}

impl OutputFolders {
    fn new() -> Self {
        OutputFolders {
            made: Mutex::new(HashMap::new()),
            cwd: std::env::current_dir().unwrap_or_default(),
            // SAFETY: umask only sets and returns the process's file mode mask; it is set back
            // at once, before any thread of this run creates a file.
            #[cfg(unix)]
            umask: unsafe {
                let m = libc::umask(0o022);
                libc::umask(m);
                m as u32
            },
        }
    }

    /// Makes `dir` and the folders above it if missing; whether this run made `dir`.
    fn make(&self, dir: &Path) -> io::Result<bool> {
        if let Some(&fresh) = self.made.lock().unwrap().get(dir) {
            return Ok(fresh);
        }
        let fresh = match fs::create_dir(dir) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(dir.parent().unwrap_or(Path::new(".")))?;
                match fs::create_dir(dir) {
                    Ok(()) => true,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
                    Err(e) => return Err(e),
                }
            }
            // Already there: a folder, or something else, and then creating the temporary file
            // fails with a clear error.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
            Err(e) => return Err(e),
        };
        // Another thread may have made it first: then it is not fresh for this one, which is
        // only slower (it looks its destinations up).
        self.made
            .lock()
            .unwrap()
            .entry(dir.to_path_buf())
            .or_insert(fresh);
        Ok(fresh)
    }

    /// A temporary file in `dir`, created with `perms` when the umask keeps them whole; whether
    /// it has them.
    fn temp_file(
        &self,
        dir: &Path,
        perms: Option<&fs::Permissions>,
    ) -> io::Result<(tempfile::NamedTempFile, bool)> {
        let mut b = tempfile::Builder::new();
        b.prefix(".zhtidy-").suffix(".tmp");
        let mut exact = false;
        #[cfg(unix)]
        if let Some(p) = perms {
            use std::os::unix::fs::PermissionsExt;
            // Only plain permission bits: set-id and sticky bits go through fchmod, which
            // says whether they can be set.
            let mode = p.mode() & 0o7777;
            if mode & 0o7000 == 0 && mode & self.umask == 0 {
                b.permissions(fs::Permissions::from_mode(mode));
                exact = true;
            }
        }
        let t = b.tempfile_in(self.cwd.join(dir))?;
        Ok((t, exact))
    }
}

/// Processes one file (its bytes when the repeated-lines pass kept them) into a temporary file
/// beside its destination, then renames it into place.
fn process(
    builder: &PipelineBuilder,
    args: &Args,
    job: &Job,
    cached: Option<Vec<u8>>,
    jsonl: &JsonlOptions,
    repeated: Option<Arc<HashSet<u64>>>,
    folders: &OutputFolders,
) -> Outcome {
    let dest = destination(args, job);
    let result = (|| -> zhtidy::Result<Option<Done>> {
        let name = job.src.display().to_string();
        let mut input: Box<dyn Read + '_> = match &cached {
            Some(bytes) => Box::new(bytes.as_slice()),
            None => Box::new(File::open(&job.src).map_err(|e| io_err("cannot open", e))?),
        };
        let dir = dest.parent().unwrap_or(Path::new("."));
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
            Some(Temp {
                file: t,
                fresh,
                exact,
            })
        };
        let done = if args.jsonl && is_jsonl(&job.src) {
            let out: Box<dyn Write + '_> = match &tmp {
                None => Box::new(io::sink()),
                Some(t) => Box::new(BufWriter::with_capacity(64 * 1024, t.file.as_file())),
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
            let summary = if args.report.is_some() || args.check {
                run_jsonl(builder, &name, BufReader::new(reader), writer, jsonl, |r| {
                    reports.push(r);
                    Ok(())
                })?
            } else {
                zhtidy::jsonl::run_jsonl_quiet(
                    builder,
                    &name,
                    BufReader::new(reader),
                    writer,
                    jsonl,
                )?
            };
            let changes = summary.changes.iter();
            (reports, changes.map(|&(s, n)| (s.to_string(), n)).collect())
        } else {
            let mut p = builder.build_with_repeated(repeated)?;
            p.set_name(name);
            // Straight into the file: the pipeline writes once per read of the input (a
            // buffer would only copy, and one per file costs more than a small file).
            // Reports only when they are written or checked (building them costs as much as
            // converting a small file does).
            let (mut sink, mut file) = (io::sink(), tmp.as_ref().map(|t| t.file.as_file()));
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
            finish_atomic(t, job, &dest, args.backup.as_deref())?;
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

fn io_err(what: &str, e: io::Error) -> zhtidy::Error {
    zhtidy::Error::new(ErrorKind::Io(e.kind()), format!("{what}: {e}"))
}

/// A file's output, written to a temporary file beside its destination.
struct Temp {
    file: tempfile::NamedTempFile,
    /// The destination's folder was made by this run: no file is there to replace.
    fresh: bool,
    /// The temporary file was created with the source's permissions.
    exact: bool,
}

/// fsync the temporary file (when it replaces a file), give it the permissions of the file it
/// replaces (or of the source), keep a backup if asked, and rename it over the destination: the
/// destination is either complete or untouched.
fn finish_atomic(tmp: Temp, job: &Job, dest: &Path, backup: Option<&str>) -> zhtidy::Result<()> {
    let existing = if tmp.fresh {
        None
    } else {
        fs::metadata(dest).ok()
    };
    // Replacing a file that exists (in place, or over an earlier output) must survive a crash
    // too: fsync first. A new file in an output tree is not synced: a killed process leaves it
    // complete or absent (the rename follows the last write); a power cut before the kernel
    // writes it back may leave it empty, as any file written without fsync.
    if existing.is_some() {
        tmp.file
            .as_file()
            .sync_all()
            .map_err(|e| io_err("writing output", e))?;
    }
    let perms = match &existing {
        Some(meta) => Some(meta.permissions()),
        None => job.perms.clone(),
    };
    // A temporary file created with the source's permissions already has them.
    if let Some(perms) = perms.filter(|p| !(tmp.exact && Some(p) == job.perms.as_ref())) {
        let _ = tmp.file.as_file().set_permissions(perms);
    }
    if let Some(suffix) = backup {
        if existing.is_some() {
            let mut b = dest.as_os_str().to_owned();
            b.push(suffix);
            fs::copy(dest, PathBuf::from(b)).map_err(|e| io_err("writing the backup", e))?;
        }
    }
    tmp.file
        .persist(dest)
        .map_err(|e| io_err("renaming into place", e.error))?;
    Ok(())
}

/// Hands the jobs out to the threads in runs of consecutive ones. Consecutive files are mostly
/// in one folder, and two threads creating and renaming files in the same folder wait for each
/// other on its lock in the kernel: in runs, they are most of the time a folder or more apart.
/// A run has at most `MAX_RUN` files and 1 MB (the first file counts whatever its size), and
/// runs shrink towards the end, so that the threads finish together.
struct Claims<'a> {
    jobs: &'a [Job],
    /// The first job not handed out yet.
    next: Mutex<usize>,
    threads: usize,
}

impl Claims<'_> {
    const MAX_RUN: usize = 128;
    const MAX_RUN_BYTES: u64 = 1 << 20;

    fn claim(&self) -> Option<std::ops::Range<usize>> {
        let mut next = self.next.lock().unwrap();
        let start = *next;
        let left = self.jobs.len().checked_sub(start).filter(|&n| n > 0)?;
        let files = (left / (4 * self.threads)).clamp(1, Self::MAX_RUN);
        let mut end = start + 1;
        let mut bytes = self.jobs[start].bytes;
        while end < start + files && bytes + self.jobs[end].bytes <= Self::MAX_RUN_BYTES {
            bytes += self.jobs[end].bytes;
            end += 1;
        }
        *next = end;
        Some(start..end)
    }
}

/// Writes outcomes in input order as they complete, and keeps the totals.
struct Emitter {
    /// The next job whose outcome is due.
    next: usize,
    /// Outcomes of later jobs, waiting for earlier ones.
    waiting: BTreeMap<usize, Outcome>,
    report_sink: Option<Box<dyn Write + Send>>,
    out: BufWriter<io::Stdout>,
    ok: u64,
    skipped: u64,
    failed: u64,
    changed: bool,
    fixes: BTreeMap<String, u64>,
    /// The first error writing reports or check lines.
    error: Option<anyhow::Error>,
}

impl Emitter {
    fn arrive(&mut self, i: usize, outcome: Outcome, jobs: &[Job], args: &Args) {
        self.waiting.insert(i, outcome);
        while let Some(outcome) = self.waiting.remove(&self.next) {
            let job = &jobs[self.next];
            self.next += 1;
            if let Err(e) = self.emit(job, outcome, args) {
                self.error.get_or_insert(e);
            }
        }
    }

    fn emit(&mut self, job: &Job, outcome: Outcome, args: &Args) -> Result<()> {
        match outcome {
            Outcome::Done(reports, changes) => {
                self.ok += 1;
                for (stage, n) in changes {
                    if n > 0 {
                        *self.fixes.entry(stage).or_default() += n;
                    }
                }
                for r in &reports {
                    if let Some(w) = self.report_sink.as_mut() {
                        writeln!(w, "{}", r.to_json_line())?;
                    }
                    if args.check {
                        self.changed |=
                            super::print_check(&mut self.out, &job.src.display().to_string(), r)?;
                    }
                }
            }
            Outcome::Skipped(why) => {
                self.skipped += 1;
                eprintln!("zhtidy: {}: skipped: {why}", job.src.display());
            }
            Outcome::Failed(why) => {
                self.failed += 1;
                eprintln!("zhtidy: {}: {why}", job.src.display());
            }
        }
        Ok(())
    }
}

/// Runs folder mode; returns the exit code.
pub fn run(
    builder: &PipelineBuilder,
    args: &Args,
    threads: usize,
    jsonl: &JsonlOptions,
) -> Result<i32> {
    if args.in_place && args.out_dir.is_some() {
        bail!("--in-place and --out-dir exclude each other");
    }
    if !args.in_place && args.out_dir.is_none() && !args.check {
        bail!("a folder needs --out-dir DIR, --in-place or --check");
    }
    // Before any thread starts (it reads the umask by setting it).
    let folders = OutputFolders::new();
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
    let done_bytes = AtomicU64::new(0);
    for (path, why) in &unwalked.skipped {
        eprintln!("zhtidy: {}: skipped: {why}", path.display());
    }
    for (path, why) in &unwalked.failed {
        eprintln!("zhtidy: {}: {why}", path.display());
    }
    // Reports, check lines and notes come out in input order whatever the threads do: each
    // outcome waits only until those before it are out, so memory does not grow with the tree.
    let emitter = Mutex::new(Emitter {
        next: 0,
        waiting: BTreeMap::new(),
        report_sink: super::report_sink(args)?,
        out: BufWriter::new(io::stdout()),
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
                            args,
                            job,
                            kept.take(i),
                            jsonl,
                            repeated.get(folder(job)).cloned(),
                            &folders,
                        );
                        done_bytes.fetch_add(job.bytes, Ordering::Relaxed);
                        if let Some(p) = &progress {
                            p.inc(1);
                            p.set_message(format!(
                                "{} MB",
                                done_bytes.load(Ordering::Relaxed) / 1_000_000
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
    eprintln!(
        "zhtidy: {ok} files {}, {skipped} skipped, {failed} failed, {:.1} MB read; changes: {}",
        if args.check { "checked" } else { "written" },
        total_bytes as f64 / 1e6,
        if changes.is_empty() {
            "none".to_string()
        } else {
            changes.join(", ")
        }
    );
    Ok(if failed > 0 {
        if args.check {
            2
        } else {
            1
        }
    } else if args.check && changed {
        1
    } else {
        0
    })
}

fn progress_bar(files: u64, bytes: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !io::stderr().is_terminal() || files < 2 {
        return None;
    }
    let p = indicatif::ProgressBar::new(files);
    p.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} files, {msg} of {prefix} [{elapsed} < {eta}] {per_sec}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    p.set_prefix(format!("{} MB", bytes / 1_000_000));
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::{path_order, read_whole, Claims, Job, OutputFolders};
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
