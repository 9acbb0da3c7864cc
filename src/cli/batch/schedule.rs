//! Scheduling: runs of consecutive jobs handed to the threads, and the emitter that reports
//! outcomes in path order.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::sync::Mutex;

use anyhow::Result;

use crate::cli::args::Args;

use super::*;
use crate::ordered::InOrder;

/// Hands the jobs out to the threads in runs of consecutive ones. Consecutive files are mostly
/// in one folder, and two threads creating and renaming files in the same folder wait for each
/// other on its lock in the kernel: in runs, they are most of the time a folder or more apart.
/// A run has at most `MAX_RUN` files and 1 MB (the first file counts whatever its size), and
/// runs shrink towards the end, so that the threads finish together.
pub(super) struct Claims<'a> {
    pub(super) jobs: &'a [Job],
    /// The first job not handed out yet.
    pub(super) next: Mutex<usize>,
    pub(super) threads: usize,
}

impl Claims<'_> {
    pub(super) const MAX_RUN: usize = 128;
    pub(super) const MAX_RUN_BYTES: u64 = 1 << 20;

    pub(super) fn claim(&self) -> Option<std::ops::Range<usize>> {
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
pub(super) struct Emitter {
    /// Outcomes by job number, handed on in job order.
    pub(super) order: InOrder<Outcome>,
    pub(super) report_sink: Option<Box<dyn Write + Send>>,
    pub(super) out: BufWriter<crate::cli::Forgiving<io::Stdout>>,
    pub(super) ok: u64,
    pub(super) skipped: u64,
    pub(super) failed: u64,
    pub(super) changed: bool,
    pub(super) fixes: BTreeMap<String, u64>,
    /// The first error writing reports or check lines.
    pub(super) error: Option<anyhow::Error>,
}

impl Emitter {
    pub(super) fn arrive(&mut self, i: usize, outcome: Outcome, jobs: &[Job], args: &Args) {
        let mut order = std::mem::take(&mut self.order);
        let _ = order.arrive(i, outcome, |n, outcome| {
            if let Err(e) = self.emit(&jobs[n], outcome, args) {
                self.error.get_or_insert(e);
            }
            Ok::<(), ()>(())
        });
        self.order = order;
    }

    pub(super) fn emit(&mut self, job: &Job, outcome: Outcome, args: &Args) -> Result<()> {
        match outcome {
            Outcome::Done(mut reports, changes) => {
                self.ok += 1;
                for (stage, n) in changes {
                    if n > 0 {
                        *self.fixes.entry(stage).or_default() += n;
                    }
                }
                if !reports.is_empty() {
                    let bytes = crate::cli::path_bytes(&job.src);
                    for r in &mut reports {
                        r.path_bytes.clone_from(&bytes);
                    }
                }
                for r in &reports {
                    if let Some(w) = self.report_sink.as_mut() {
                        writeln!(w, "{}", r.to_json_line())?;
                    }
                    if args.check {
                        self.changed |= crate::cli::print_check(
                            &mut self.out,
                            &crate::cli::shown(&job.src),
                            r,
                        )?;
                    }
                }
            }
            Outcome::Skipped(why) => {
                self.skipped += 1;
                crate::cli::warn(format_args!(
                    "{}: skipped: {why}",
                    crate::cli::shown(&job.src)
                ));
            }
            Outcome::Failed(why) => {
                self.failed += 1;
                crate::cli::warn(format_args!("{}: {why}", crate::cli::shown(&job.src)));
            }
        }
        Ok(())
    }
}
