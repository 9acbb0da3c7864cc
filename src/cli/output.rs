//! Where output goes: standard output, or a file written atomically (temporary file in the same
//! directory, then rename, keeping an existing file's permissions).
//!
//! Only regular files are replaced that way. An existing output that is not a regular file (a
//! device such as `/dev/null`, a named pipe, a socket) is opened and written as it is: renaming
//! over `/dev/null` would put a regular file in its place for every program on the machine. A
//! symbolic link is followed: the file it points to is replaced, and the link stays.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub enum Output {
    Stdout(BufWriter<io::Stdout>),
    StdoutLines(io::LineWriter<io::Stdout>),
    File {
        tmp: PathBuf,
        dest: PathBuf,
        file: Option<BufWriter<File>>,
    },
    /// A device, named pipe or socket, written directly.
    Special(BufWriter<File>),
}

impl Output {
    pub fn open(path: Option<&Path>, line_buffered: bool) -> Result<Output> {
        let Some(dest) = path.filter(|p| *p != Path::new("-")) else {
            if line_buffered {
                return Ok(Output::StdoutLines(io::LineWriter::new(io::stdout())));
            }
            return Ok(Output::Stdout(BufWriter::with_capacity(
                64 * 1024,
                io::stdout(),
            )));
        };
        let existing = fs::metadata(dest).ok();
        if existing
            .as_ref()
            .is_some_and(|m| !m.is_file() && !m.is_dir())
        {
            let file = fs::OpenOptions::new()
                .write(true)
                .open(dest)
                .with_context(|| format!("opening {}", dest.display()))?;
            return Ok(Output::Special(BufWriter::with_capacity(64 * 1024, file)));
        }
        // Through a symbolic link, the file it points to is replaced.
        let resolved;
        let dest = match fs::symlink_metadata(dest) {
            Ok(m) if m.file_type().is_symlink() && existing.is_some() => {
                resolved = fs::canonicalize(dest)
                    .with_context(|| format!("resolving {}", dest.display()))?;
                resolved.as_path()
            }
            _ => dest,
        };
        let dir = dest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let base = dest
            .file_name()
            .context("output path has no file name")?
            .to_string_lossy();
        let tmp = dir.join(format!(".{base}.{}out.tmp", super::temps::marker()));
        // A temporary file that a killed run left beside this output goes.
        super::temps::sweep(dir);
        // Made and registered in one step: an interrupt cannot find it unregistered.
        let file = super::temps::made(&tmp, |p| File::create(p))
            .with_context(|| format!("cannot write {}", dest.display()))?;
        // `existing` followed the link, if there was one: these are the replaced file's.
        if let Some(meta) = existing {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                // The replaced file's owner and group, where the process may set them (as
                // root); before the permissions, which a change of owner may clear.
                let _ = std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid()));
            }
            let _ = fs::set_permissions(&tmp, meta.permissions());
        }
        Ok(Output::File {
            tmp,
            dest: dest.to_path_buf(),
            file: Some(BufWriter::with_capacity(64 * 1024, file)),
        })
    }

    pub fn writer(&mut self) -> &mut (dyn Write + Send) {
        match self {
            Output::Stdout(w) => w,
            Output::StdoutLines(w) => w,
            Output::File { file, .. } => file.as_mut().expect("open output"),
            Output::Special(w) => w,
        }
    }

    /// Finishes the output: flush stdout, or sync the temporary file and rename it into place.
    pub fn commit(mut self) -> Result<()> {
        let Output::File { tmp, dest, file } = &mut self else {
            return self
                .writer()
                .flush()
                .map_err(|e| anyhow::Error::new(e).context("writing output"));
        };
        let w = file.take().expect("open output");
        let result = (|| -> Result<()> {
            let f = w
                .into_inner()
                .map_err(|e| e.into_error())
                .context("writing output")?;
            f.sync_all().context("writing output")?;
            fs::rename(&*tmp, &*dest).with_context(|| format!("renaming to {}", dest.display()))?;
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&*tmp);
        }
        super::temps::forget(tmp);
        result
    }

    /// Drops the output without writing it (the temporary file is removed).
    pub fn abandon(mut self) {
        if let Output::File { tmp, file, .. } = &mut self {
            drop(file.take());
            let _ = fs::remove_file(&*tmp);
            super::temps::forget(tmp);
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Output::File {
            tmp, file: Some(_), ..
        } = self
        {
            let _ = fs::remove_file(&*tmp);
            super::temps::forget(tmp);
        }
    }
}
