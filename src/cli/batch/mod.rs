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
use zhtidy::jsonl::{run_jsonl_events, JsonlEvent, JsonlOptions};
use zhtidy::{ErrorKind, PipelineBuilder, Report};

use super::args::Args;
use super::temps;

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
struct Kept(Mutex<HashMap<usize, KeptFile>>);

/// A file's bytes, and its size and time when they were read (in place only).
type KeptFile = (Vec<u8>, Option<Stamp>);

impl Kept {
    fn keep(&self, job: usize, bytes: Vec<u8>, seen: Option<Stamp>) {
        self.0.lock().unwrap().insert(job, (bytes, seen));
    }

    fn take(&self, job: usize) -> Option<KeptFile> {
        self.0.lock().unwrap().remove(&job)
    }
}

/// A file's size and modification time when it was read: an in-place run replaces a file only
/// if it still has them (else it was changed during the run, and is left as it is).
type Stamp = (u64, Option<std::time::SystemTime>);

fn stamp(file: &File) -> Option<Stamp> {
    file.metadata().ok().map(|m| (m.len(), m.modified().ok()))
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
    select: &Select,
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
    if !ft.is_file() || !select.candidate(entry.path()) {
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
        // A missing or unreadable input is reported; the others are processed.
        let meta = match fs::symlink_metadata(input) {
            Ok(m) => m,
            Err(e) => {
                unwalked.failed.push((input.clone(), e.to_string()));
                continue;
            }
        };
        if meta.is_file() {
            let Some(name) = input.file_name() else {
                bail!("{}: input has no file name", input.display());
            };
            jobs.push(Job::new(input, Path::new(name), Some(&meta)));
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
        // An output folder inside the input tree is never walked (a second run would take the
        // first run's outputs as inputs).
        let inside = args.out_dir.as_deref().and_then(|o| nested_in(o, input));
        let select = Select::new(args);
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
            .filter_entry(move |e| inside.as_deref() != Some(e.path()))
            .threads(threads.max(1))
            .build_parallel()
            .run(|| {
                Box::new(|entry| {
                    walked(entry, input, &select, &found);
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

/// Which files a folder walk takes.
struct Select {
    /// `--jsonl` without `--glob`: JSON Lines files only.
    jsonl_only: bool,
    /// The `--backup` suffix: backups are never inputs.
    backup: Option<std::ffi::OsString>,
}

impl Select {
    fn new(args: &Args) -> Self {
        Select {
            jsonl_only: args.jsonl && args.globs.is_empty(),
            backup: args
                .backup
                .as_deref()
                .filter(|b| !b.is_empty())
                .map(Into::into),
        }
    }

    fn candidate(&self, path: &Path) -> bool {
        if let (Some(suffix), Some(name)) = (&self.backup, path.file_name()) {
            if name.as_encoded_bytes().ends_with(suffix.as_encoded_bytes()) {
                return false;
            }
        }
        !self.jsonl_only || is_jsonl(path)
    }
}

/// `inner` as a path under `outer` (as the walk of `outer` spells it), when `inner` is a folder
/// inside `outer` or `outer` itself.
fn nested_in(inner: &Path, outer: &Path) -> Option<PathBuf> {
    let (i, o) = (fs::canonicalize(inner).ok()?, fs::canonicalize(outer).ok()?);
    let rel = i.strip_prefix(&o).ok()?;
    Some(if rel.as_os_str().is_empty() {
        outer.to_path_buf()
    } else {
        outer.join(rel)
    })
}

/// Refuses an output folder that would put outputs over their own inputs (`--out-dir X X`, or
/// `--out-dir .` for a file in the current folder): that is `--in-place`, and must be asked for.
fn check_out_dir(args: &Args) -> Result<()> {
    let Some(out) = args.out_dir.as_deref() else {
        return Ok(());
    };
    let Ok(out) = fs::canonicalize(out) else {
        return Ok(()); // not there yet: it holds no input
    };
    for input in &args.files {
        let Ok(meta) = fs::metadata(input) else {
            continue;
        };
        let home = if meta.is_dir() {
            fs::canonicalize(input).ok()
        } else {
            fs::canonicalize(input)
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
        };
        if home.as_deref() == Some(out.as_path()) {
            bail!(
                "--out-dir {} would write over the input {} (use --in-place to rewrite files in place)",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// What a file's name says it holds, for folder mode.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FileKind {
    /// Prose: every stage runs.
    Prose,
    /// JSON Lines (`*.jsonl`, compressed too): cleaned record by record.
    Jsonl,
    /// Structured text (data, subtitles, code): see `--structured`.
    Structured,
}

/// Extensions of structured text files: line breaks, separators and punctuation carry structure
/// there, so reflow, boilerplate removal and punctuation repair would break them.
const STRUCTURED: &[&str] = &[
    "json",
    "geojson",
    "csv",
    "tsv",
    "srt",
    "vtt",
    "ass",
    "ssa",
    "lrc",
    "sub",
    "yaml",
    "yml",
    "toml",
    "ini",
    "cfg",
    "conf",
    "properties",
    "xml",
    "xsl",
    "svg",
    "po",
    "pot",
    "tex",
    "bib",
    "rs",
    "py",
    "js",
    "mjs",
    "cjs",
    "ts",
    "tsx",
    "jsx",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "java",
    "kt",
    "go",
    "rb",
    "php",
    "pl",
    "sh",
    "bash",
    "zsh",
    "lua",
    "swift",
    "cs",
    "sql",
    "css",
    "scss",
    "r",
    "ipynb",
];

fn file_kind(args: &Args, path: &Path) -> FileKind {
    if is_jsonl(path) || args.jsonl {
        return FileKind::Jsonl;
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext {
        Some(e) if STRUCTURED.contains(&e.as_str()) => FileKind::Structured,
        _ => FileKind::Prose,
    }
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
        if file_kind(args, &job.src) != FileKind::Prose {
            return None;
        }
        let mut file = File::open(&job.src).ok()?;
        let seen = if args.in_place { stamp(&file) } else { None };
        let keys = if job.bytes <= CACHE_FILE_MAX && take(job.bytes + KEPT_ENTRY) {
            let bytes = read_whole(&mut file, job.bytes).ok()?;
            let keys = builder.line_keys(bytes.as_slice());
            // A file that grew since the walk counts its real size against the budget, or is
            // read again by the main pass.
            let grown = bytes.len() as u64 - job.bytes.min(bytes.len() as u64);
            if grown == 0 || take(grown) {
                kept.keep(i, bytes, seen);
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
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                // Temporary files a killed run left here go (see `temps::sweep`).
                let n = temps::sweep(dir);
                if n > 0 {
                    super::warn(format_args!(
                        "{}: removed {n} temporary {} left by an interrupted run",
                        dir.display(),
                        if n == 1 { "file" } else { "files" }
                    ));
                }
                false
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(dir.parent().unwrap_or(Path::new(".")))?;
                match fs::create_dir(dir) {
                    Ok(()) => true,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
                    Err(e) => return Err(e),
                }
            }
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
        let prefix = format!(".{}", temps::marker());
        b.prefix(&prefix).suffix(".tmp");
        let mut exact = None;
        #[cfg(unix)]
        if let Some(p) = perms {
            use std::os::unix::fs::PermissionsExt;
            // Only plain permission bits: set-id and sticky bits go through fchmod, which
            // says whether they can be set.
            let mode = p.mode() & 0o7777;
            if mode & 0o7000 == 0 && mode & self.umask == 0 {
                exact = Some(mode);
            }
        }
        // Without a mode of the source's, a new file gets 0600, as tempfile makes them.
        let t = temps::create_in(&b, &self.cwd.join(dir), exact.or(Some(0o600)))?;
        Ok((t, exact.is_some()))
    }
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
    let result = (|| -> zhtidy::Result<Option<Done>> {
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

fn io_err(what: &str, e: io::Error) -> zhtidy::Error {
    zhtidy::Error::new(ErrorKind::Io(e.kind()), format!("{what}: {e}"))
}

/// A file's output, written to a temporary file beside its destination. The file is registered
/// for removal on an interrupt (see [`temps`]) while it exists under its temporary name.
struct Temp {
    file: Option<tempfile::NamedTempFile>,
    path: PathBuf,
    /// The destination's folder was made by this run: no file is there to replace.
    fresh: bool,
    /// The temporary file was created with the source's permissions.
    exact: bool,
}

impl Temp {
    fn new(file: tempfile::NamedTempFile, fresh: bool, exact: bool) -> Self {
        // Registered when it was made (`temps::create_in`).
        let path = file.path().to_path_buf();
        Temp {
            file: Some(file),
            path,
            fresh,
            exact,
        }
    }

    fn file(&self) -> &File {
        self.file.as_ref().expect("open temporary file").as_file()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        // Dropping the `NamedTempFile` (if still here) removes the file.
        drop(self.file.take());
        temps::forget(&self.path);
    }
}

/// Whether the file at `path` holds exactly the bytes of `file` (read from its start).
fn same_content(file: &Path, path: &Path) -> io::Result<bool> {
    let (a, b) = (fs::metadata(file)?, fs::metadata(path)?);
    if a.len() != b.len() {
        return Ok(false);
    }
    let (mut a, mut b) = (File::open(file)?, File::open(path)?);
    let (mut x, mut y) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = read_full(&mut a, &mut x)?;
        let m = read_full(&mut b, &mut y)?;
        if n != m || x[..n] != y[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// Fills `buf` as far as the file goes; the number of bytes read.
fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match f.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Makes `backup` a complete copy of `file`, atomically: a hard link (or, where the file
/// system has none, a synced copy) under a temporary name, renamed over `backup`. An existing
/// backup is replaced only by a complete copy.
fn make_backup(file: &Path, backup: &Path) -> io::Result<()> {
    let dir = backup
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let prefix = format!(".{}", temps::marker());
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".tmp");
    let linked = b.make_in(dir, |p| temps::made(p, |p| fs::hard_link(file, p)));
    let tmp = match linked {
        Ok(t) => t.into_temp_path(),
        Err(_) => {
            let mut t = temps::create_in(&b, dir, Some(0o600))?;
            let copied = (|| {
                io::copy(&mut File::open(file)?, t.as_file_mut())?;
                t.as_file()
                    .set_permissions(fs::metadata(file)?.permissions())?;
                t.as_file().sync_all()
            })();
            if let Err(e) = copied {
                temps::forget(t.path());
                return Err(e);
            }
            t.into_temp_path()
        }
    };
    let path = tmp.to_path_buf();
    let r = tmp.persist(backup).map_err(|e| e.error);
    temps::forget(&path);
    r
}

/// fsync the temporary file (when it replaces a file), give it the owner and permissions of the
/// file it replaces (or the source's permissions), keep a backup if asked, and rename it over the
/// destination: the destination is either complete or untouched.
///
/// `expect`: in place, the source's size and modification time when it was read; a file that
/// no longer has them was changed during the run and is left as it is (an error).
fn finish_atomic(
    mut tmp: Temp,
    job: &Job,
    dest: &Path,
    backup: Option<&str>,
    expect: Option<Stamp>,
) -> zhtidy::Result<()> {
    let existing = if tmp.fresh {
        None
    } else {
        fs::metadata(dest).ok()
    };
    if let (Some(expect), Some(meta)) = (expect, &existing) {
        if (meta.len(), meta.modified().ok()) != expect {
            return Err(zhtidy::Error::new(
                ErrorKind::Io(io::ErrorKind::Other),
                "changed during the run: left as it is (run again to clean it)",
            ));
        }
    }
    // Replacing a file that exists (in place, or over an earlier output) must survive a crash
    // too: fsync first. A new file in an output tree is not synced: a killed process leaves it
    // complete or absent (the rename follows the last write); a power cut before the kernel
    // writes it back may leave it empty, as any file written without fsync.
    if existing.is_some() {
        tmp.file()
            .sync_all()
            .map_err(|e| io_err("writing output", e))?;
    }
    // The replaced file's owner and group, where the process may set them (as root); changing
    // the owner may clear set-id bits, so the permissions are set again after it.
    let mut chowned = false;
    #[cfg(unix)]
    if let Some(meta) = &existing {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid and getegid only read the process's ids.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        if meta.uid() != uid || meta.gid() != gid {
            chowned =
                std::os::unix::fs::fchown(tmp.file(), Some(meta.uid()), Some(meta.gid())).is_ok();
        }
    }
    let perms = match &existing {
        Some(meta) => Some(meta.permissions()),
        None => job.perms.clone(),
    };
    // A temporary file created with the source's permissions already has them.
    if let Some(perms) = perms.filter(|p| chowned || !(tmp.exact && Some(p) == job.perms.as_ref()))
    {
        let _ = tmp.file().set_permissions(perms);
    }
    if let Some(suffix) = backup {
        if existing.is_some() {
            // Unchanged content is not rewritten: the file and its backup (the version before
            // an earlier run) stay as they are.
            if same_content(&tmp.path, dest).unwrap_or(false) {
                return Ok(());
            }
            let mut b = dest.as_os_str().to_owned();
            b.push(suffix);
            make_backup(dest, Path::new(&b)).map_err(|e| io_err("writing the backup", e))?;
        }
    }
    let file = tmp.file.take().expect("open temporary file");
    file.persist(dest)
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
    out: BufWriter<super::Forgiving<io::Stdout>>,
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
            Outcome::Done(mut reports, changes) => {
                self.ok += 1;
                for (stage, n) in changes {
                    if n > 0 {
                        *self.fixes.entry(stage).or_default() += n;
                    }
                }
                if !reports.is_empty() {
                    let bytes = super::path_bytes(&job.src);
                    for r in &mut reports {
                        r.path_bytes.clone_from(&bytes);
                    }
                }
                for r in &reports {
                    if let Some(w) = self.report_sink.as_mut() {
                        writeln!(w, "{}", r.to_json_line())?;
                    }
                    if args.check {
                        self.changed |=
                            super::print_check(&mut self.out, &super::shown(&job.src), r)?;
                    }
                }
            }
            Outcome::Skipped(why) => {
                self.skipped += 1;
                super::warn(format_args!("{}: skipped: {why}", super::shown(&job.src)));
            }
            Outcome::Failed(why) => {
                self.failed += 1;
                super::warn(format_args!("{}: {why}", super::shown(&job.src)));
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
        next: 0,
        waiting: BTreeMap::new(),
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
