//! The library's error type: a kind to match on and a lowercase message for people.

use std::fmt;

/// What went wrong, for callers that react differently to different failures.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading input or writing output failed (the message has the OS error).
    Io(std::io::ErrorKind),
    /// The input looks like a binary file (NUL bytes in text that is not UTF-16).
    Binary,
    /// An encoding name that is not known.
    UnknownEncoding,
    /// A character cannot be written in the requested output encoding.
    Unmappable {
        /// The character.
        ch: char,
        /// 1-based line in the output.
        line: u64,
        /// 1-based column (in characters) in the output.
        column: u64,
    },
    /// A conversion config or target name that is not known.
    UnknownConfig,
    /// A user dictionary could not be read or parsed.
    Dictionary,
    /// Options that cannot be combined.
    Usage,
}

/// An error from zhtidy's library.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<std::io::Error>,
}

impl Error {
    /// A new error of `kind` with `message` (lowercase, no trailing period).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// What kind of error this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Whether this is a write to a closed pipe (callers usually exit quietly).
    pub fn is_broken_pipe(&self) -> bool {
        self.kind == ErrorKind::Io(std::io::ErrorKind::BrokenPipe)
    }

    pub(crate) fn io(context: impl fmt::Display, err: std::io::Error) -> Error {
        Error {
            kind: ErrorKind::Io(err.kind()),
            message: format!("{context}: {err}"),
            source: Some(err),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

/// Shorthand for results with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
