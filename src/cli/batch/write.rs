//! Writing outputs: output folders, temporary files beside their destinations, backups, and
//! the atomic rename into place.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::ErrorKind;

use crate::cli::temps;

use super::*;

/// What folder mode knows of the output folders and of the process, shared by the threads.
pub(super) struct OutputFolders {
    /// Folders made or found so far, and whether this run made them: a folder this run made
    /// holds no file it did not write, so its destinations need no look-up.
    pub(super) made: Mutex<HashMap<PathBuf, bool>>,
    /// The working folder, asked once (when it cannot be, each temporary file asks again, and
    /// fails as it would): from a relative folder, the temporary file asks for it each time.
    pub(super) cwd: PathBuf,
    /// The process's umask: a temporary file created with the source's mode has that mode
    /// unless the umask takes bits away, and then needs no `fchmod`.
    #[cfg(unix)]
    pub(super) umask: u32,
}

impl OutputFolders {
    pub(super) fn new() -> Self {
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
    pub(super) fn make(&self, dir: &Path) -> io::Result<bool> {
        if let Some(&fresh) = self.made.lock().unwrap().get(dir) {
            return Ok(fresh);
        }
        let fresh = match fs::create_dir(dir) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                // Temporary files a killed run left here go (see `temps::sweep`).
                let n = temps::sweep(dir);
                if n > 0 {
                    crate::cli::warn(format_args!(
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
    pub(super) fn temp_file(
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

pub(super) fn io_err(what: &str, e: io::Error) -> crate::Error {
    crate::Error::new(ErrorKind::Io(e.kind()), format!("{what}: {e}"))
}

/// A file's output, written to a temporary file beside its destination. The file is registered
/// for removal on an interrupt (see [`temps`]) while it exists under its temporary name.
pub(super) struct Temp {
    pub(super) file: Option<tempfile::NamedTempFile>,
    pub(super) path: PathBuf,
    /// The destination's folder was made by this run: no file is there to replace.
    pub(super) fresh: bool,
    /// The temporary file was created with the source's permissions.
    pub(super) exact: bool,
}

impl Temp {
    pub(super) fn new(file: tempfile::NamedTempFile, fresh: bool, exact: bool) -> Self {
        // Registered when it was made (`temps::create_in`).
        let path = file.path().to_path_buf();
        Temp {
            file: Some(file),
            path,
            fresh,
            exact,
        }
    }

    pub(super) fn file(&self) -> &File {
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
pub(super) fn same_content(file: &Path, path: &Path) -> io::Result<bool> {
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
pub(super) fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
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
pub(super) fn make_backup(file: &Path, backup: &Path) -> io::Result<()> {
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
pub(super) fn finish_atomic(
    mut tmp: Temp,
    job: &Job,
    dest: &Path,
    backup: Option<&str>,
    expect: Option<Stamp>,
) -> crate::Result<()> {
    let existing = if tmp.fresh {
        None
    } else {
        fs::metadata(dest).ok()
    };
    if let (Some(expect), Some(meta)) = (expect, &existing) {
        if (meta.len(), meta.modified().ok()) != expect {
            return Err(crate::Error::new(
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
