//! Walking the inputs: which files a folder run takes, in which order, and where each one
//! goes.

use std::fs::{self};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};

use crate::cli::args::Args;

use super::*;

/// The path a walk error is about, and the error without it.
pub(super) fn split_walk_error(e: &ignore::Error) -> (Option<&Path>, String) {
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
pub(super) struct Unwalked {
    pub(super) skipped: Vec<(PathBuf, String)>,
    pub(super) failed: Vec<(PathBuf, String)>,
}

/// The order of paths component by component (as `Path::cmp`, which is several times slower: it
/// parses the components of both paths at each comparison): bytes, with the separator first.
/// The walk's paths have no empty or `.` components.
pub(super) fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
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
pub(super) fn walked(
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
pub(super) fn collect(args: &Args, threads: usize) -> Result<(Vec<Job>, Unwalked)> {
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
pub(super) struct Select {
    /// `--jsonl` without `--glob`: JSON Lines files only.
    pub(super) jsonl_only: bool,
    /// The `--backup` suffix: backups are never inputs.
    pub(super) backup: Option<std::ffi::OsString>,
}

impl Select {
    pub(super) fn new(args: &Args) -> Self {
        Select {
            jsonl_only: args.jsonl && args.globs.is_empty(),
            backup: args
                .backup
                .as_deref()
                .filter(|b| !b.is_empty())
                .map(Into::into),
        }
    }

    pub(super) fn candidate(&self, path: &Path) -> bool {
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
pub(super) fn nested_in(inner: &Path, outer: &Path) -> Option<PathBuf> {
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
pub(super) fn check_out_dir(args: &Args) -> Result<()> {
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
pub(super) enum FileKind {
    /// Prose: every stage runs.
    Prose,
    /// JSON Lines (`*.jsonl`, compressed too): cleaned record by record.
    Jsonl,
    /// Structured text (data, subtitles, code): see `--structured`.
    Structured,
}

/// Extensions of structured text files: line breaks, separators and punctuation carry structure
/// there, so reflow, boilerplate removal and punctuation repair would break them.
pub(super) const STRUCTURED: &[&str] = &[
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

pub(super) fn file_kind(args: &Args, path: &Path) -> FileKind {
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

pub(super) fn is_jsonl(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    name.ends_with(".jsonl") || name.ends_with(".jsonl.gz") || name.ends_with(".jsonl.zst")
}

pub(super) fn compression(path: &Path) -> Option<&'static str> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("gz") => Some("gz"),
        Some("zst") => Some("zst"),
        _ => None,
    }
}

/// Where the output of `job` goes.
pub(super) fn destination(args: &Args, job: &Job) -> PathBuf {
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
