//! The repeated-lines pass (`--repeated-lines`): lines repeated across a folder's documents,
//! and the small files it keeps for the main pass.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::boilerplate::repeated::RepeatedLines;
use crate::PipelineBuilder;

use crate::cli::args::Args;

use super::*;

/// The bytes the repeated-lines pass read of the files it read whole, kept for the main pass
/// (which takes them), by job: each small file is read once.
#[derive(Default)]
pub(super) struct Kept(Mutex<HashMap<usize, KeptFile>>);

/// A file's bytes, and its size and time when they were read (in place only).
pub(super) type KeptFile = (Vec<u8>, Option<Stamp>);

impl Kept {
    pub(super) fn keep(&self, job: usize, bytes: Vec<u8>, seen: Option<Stamp>) {
        self.0.lock().unwrap().insert(job, (bytes, seen));
    }

    pub(super) fn take(&self, job: usize) -> Option<KeptFile> {
        self.0.lock().unwrap().remove(&job)
    }
}

/// A file's size and modification time when it was read: an in-place run replaces a file only
/// if it still has them (else it was changed during the run, and is left as it is).
pub(super) type Stamp = (u64, Option<std::time::SystemTime>);

pub(super) fn stamp(file: &File) -> Option<Stamp> {
    file.metadata().ok().map(|m| (m.len(), m.modified().ok()))
}

/// Files of at most this many bytes are kept in memory by the repeated-lines pass for the main
/// pass, while all kept files add up to at most `CACHE_BUDGET` (the main pass frees each as it
/// goes): the small files of a tree are read once, larger ones are streamed twice.
pub(super) const CACHE_FILE_MAX: u64 = 256 * 1024;
pub(super) const CACHE_BUDGET: u64 = 32 << 20;
/// What keeping a file costs beyond its bytes (its entry in `Kept`, the allocation's rounding),
/// charged to the budget too: a tree of millions of empty files keeps at most half a million.
pub(super) const KEPT_ENTRY: u64 = 64;

/// Reads all of `file`, expected to hold `size` bytes (`File::read_to_end` asks the file's size
/// and position first: two more system calls per file).
pub(super) fn read_whole(file: &mut File, size: u64) -> io::Result<Vec<u8>> {
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
pub(super) fn folder(job: &Job) -> &Path {
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
pub(super) fn repeated_lines(
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
