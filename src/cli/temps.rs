//! The temporary files this process has open beside their destinations, so that none is left
//! behind when the run is interrupted.
//!
//! Every temporary file (an output before its rename, a backup before its rename) is named
//! `.…zhtidy-PID-…tmp` with the process id, and is registered here while it exists. On SIGINT,
//! SIGTERM or SIGHUP a watcher thread removes the registered files and ends the process with
//! status 128 + the signal number, as a shell reports a process killed by that signal.
//!
//! SIGKILL cannot be caught: a killed run may leave temporary files. The next run that writes
//! into the same folder removes those whose process id names no running process
//! ([`sweep`]); their destinations were never touched, since a destination is only ever
//! replaced by a rename.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

fn registry() -> MutexGuard<'static, HashSet<PathBuf>> {
    static FILES: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    let files = FILES.get_or_init(|| Mutex::new(HashSet::new()));
    // A thread that panicked while holding the lock left the set consistent (inserts and
    // removes are single calls).
    files.lock().unwrap_or_else(|e| e.into_inner())
}

/// The marker in every temporary file name of this process: `zhtidy-PID-`.
pub fn marker() -> String {
    format!("zhtidy-{}-", std::process::id())
}

/// Creates a temporary file named by `builder` in `dir` (with the permission bits `mode`
/// where given), made and registered in one step (see [`made`]).
pub fn create_in(
    builder: &tempfile::Builder,
    dir: &Path,
    mode: Option<u32>,
) -> std::io::Result<tempfile::NamedTempFile> {
    builder.make_in(dir, |p| {
        let mut open = fs::OpenOptions::new();
        open.read(true).write(true).create_new(true);
        #[cfg(unix)]
        if let Some(mode) = mode {
            use std::os::unix::fs::OpenOptionsExt;
            open.mode(mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        made(p, |p| open.open(p))
    })
}

/// Makes the temporary file `path` with `make`, registering it under the registry's lock: the
/// signal thread takes that lock before it removes the files and keeps it until the process
/// ends, so a file is either made and registered before the sweep or never made.
pub fn made<T>(path: &Path, make: impl FnOnce(&Path) -> std::io::Result<T>) -> std::io::Result<T> {
    let mut files = registry();
    let result = make(path);
    if result.is_ok() {
        files.insert(path.to_path_buf());
    }
    result
}

/// Forgets `path` (it was renamed into place or removed).
pub fn forget(path: &Path) {
    registry().remove(path);
}

/// Starts the thread that removes the registered files on SIGINT, SIGTERM or SIGHUP. Called
/// once, before any temporary file is made; a failure to install the handlers only means an
/// interrupted run may leave its temporary files, as after SIGKILL.
pub fn install_signal_cleanup() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("zhtidy-signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    // The lock is kept until the process ends: no worker registers a new file
                    // (or renames one) after the sweep.
                    let files = registry();
                    for f in files.iter() {
                        let _ = fs::remove_file(f);
                    }
                    std::process::exit(super::Exit::Signal(sig).code());
                }
            });
    }
}

/// Removes temporary files of earlier runs in `dir` whose process is gone (killed with
/// SIGKILL, or by a power cut); returns how many. Files of running processes, and anything not
/// named like a temporary file of this program, are left alone.
pub fn sweep(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(stale_pid) else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) && fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The process id in a temporary file name of this program (`.NAME.zhtidy-PID-….tmp` or
/// `.zhtidy-PID-….tmp`), if it is one.
fn stale_pid(name: &str) -> Option<u32> {
    if !name.starts_with('.') || !name.ends_with(".tmp") {
        return None;
    }
    let at = name.find("zhtidy-")? + "zhtidy-".len();
    let rest = &name[at..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || rest.as_bytes().get(digits) != Some(&b'-') {
        return None;
    }
    rest[..digits].parse().ok()
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_of_this_program_with_a_process_id_are_recognised() {
        assert_eq!(stale_pid(".zhtidy-123-abc.tmp"), Some(123));
        assert_eq!(stale_pid(".out.txt.zhtidy-45-x.tmp"), Some(45));
        assert_eq!(stale_pid(".zhtidy-abc.tmp"), None);
        assert_eq!(stale_pid("zhtidy-123-abc.tmp"), None);
        assert_eq!(stale_pid(".zhtidy-123-abc.txt"), None);
        assert_eq!(stale_pid(".zhtidy-123.tmp"), None);
    }

    #[test]
    fn sweep_removes_files_of_dead_processes_only() {
        let dir = tempfile::tempdir().unwrap();
        // A process id above the kernel's limit names no process.
        let dead = dir.path().join(".zhtidy-4194999-a.tmp");
        let live = dir
            .path()
            .join(format!(".zhtidy-{}-b.tmp", std::process::id()));
        let other = dir.path().join(".other-1-c.tmp");
        for f in [&dead, &live, &other] {
            fs::write(f, "x").unwrap();
        }
        assert_eq!(sweep(dir.path()), 1);
        assert!(!dead.exists() && live.exists() && other.exists());
    }
}
